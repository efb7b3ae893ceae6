-- Questionnaires per category (issue 9, must-have 1): the extra questions a report of the
-- category asks, as the TOML document an administrator wrote (domain::questionnaire checks
-- it). The answers are sealed with the report's content, never stored here.
CREATE TABLE category_questionnaires (
    category TEXT PRIMARY KEY REFERENCES categories(code),
    document TEXT NOT NULL,
    updated_at INTEGER NOT NULL
);
