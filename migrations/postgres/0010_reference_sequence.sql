-- Public references are random (finding L7: consecutive numbers disclosed the volume of reports);
-- the internal sequence of receipt per prefix and year stays, here, for the operators.
ALTER TABLE cases ADD COLUMN seq BIGINT;
