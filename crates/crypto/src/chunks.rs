//! Large payloads (evidence files) sealed in chunks, so that neither sealing nor opening needs
//! the whole file in memory.
//!
//! Each chunk is an ordinary XChaCha20-Poly1305 blob with its own random nonce. Its associated
//! data is the caller's `aad`, the chunk's index (u32, big-endian) and a flag that is 1 only on
//! the last chunk (the STREAM construction of Hoang, Reyhanitabar, Rogaway and Vizár, with
//! random nonces instead of counters). So chunks cannot be reordered, moved to another file,
//! dropped from the end (the new last chunk does not carry the flag) or extended.

use rand::{CryptoRng, RngCore};
use zeroize::Zeroizing;

use crate::symmetric::{open_domain, seal_domain, Domain, SymmetricKey};
use crate::CryptoError;

/// Plaintext bytes per chunk (64 KiB); the last one may be shorter, and an empty payload is one
/// empty last chunk.
pub const CHUNK_LEN: usize = 64 * 1024;

/// Where a chunk sits in its payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChunkPosition {
    pub index: u32,
    pub last: bool,
}

impl ChunkPosition {
    /// The positions of the chunks of a payload of `len` bytes.
    pub fn count(len: usize) -> u32 {
        u32::try_from(len.div_ceil(CHUNK_LEN).max(1)).unwrap_or(u32::MAX)
    }
}

fn chunk_aad(aad: &[u8], at: ChunkPosition) -> Vec<u8> {
    let mut v = Vec::with_capacity(aad.len() + 5);
    v.extend_from_slice(aad);
    v.extend_from_slice(&at.index.to_be_bytes());
    v.push(u8::from(at.last));
    v
}

/// Seals one chunk (at most [`CHUNK_LEN`] bytes) of a payload.
pub fn seal_chunk(
    key: &SymmetricKey,
    aad: &[u8],
    at: ChunkPosition,
    plaintext: &[u8],
    rng: &mut (impl RngCore + CryptoRng),
) -> Vec<u8> {
    seal_domain(key, Domain::Chunk, plaintext, &chunk_aad(aad, at), rng)
}

/// Opens one chunk; fails unless it was sealed at exactly this position of this payload.
pub fn open_chunk(
    key: &SymmetricKey,
    aad: &[u8],
    at: ChunkPosition,
    blob: &[u8],
) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    let pt = open_domain(key, Domain::Chunk, blob, &chunk_aad(aad, at))?;
    if pt.len() > CHUNK_LEN {
        return Err(CryptoError::Malformed);
    }
    Ok(pt)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::test_util::rng;

    fn seal_all(key: &SymmetricKey, data: &[u8], r: &mut impl rand::RngCore) -> Vec<Vec<u8>> {
        let mut r = rand::rngs::StdRng::from_rng(r).unwrap();
        let n = ChunkPosition::count(data.len());
        (0..n)
            .map(|i| {
                let start = i as usize * CHUNK_LEN;
                let end = (start + CHUNK_LEN).min(data.len());
                let at = ChunkPosition {
                    index: i,
                    last: i + 1 == n,
                };
                seal_chunk(key, b"file:1", at, &data[start..end], &mut r)
            })
            .collect()
    }

    fn open_all(key: &SymmetricKey, chunks: &[Vec<u8>]) -> Result<Vec<u8>, CryptoError> {
        let mut out = Vec::new();
        for (i, c) in chunks.iter().enumerate() {
            let at = ChunkPosition {
                index: i as u32,
                last: i + 1 == chunks.len(),
            };
            out.extend_from_slice(&open_chunk(key, b"file:1", at, c)?);
        }
        Ok(out)
    }

    use rand::SeedableRng;

    #[test]
    fn round_trip_of_several_chunks() {
        let mut r = rng(70);
        let k = SymmetricKey::generate(&mut r);
        let data: Vec<u8> = (0..(2 * CHUNK_LEN + 17)).map(|i| i as u8).collect();
        let chunks = seal_all(&k, &data, &mut r);
        assert_eq!(chunks.len(), 3);
        assert_eq!(open_all(&k, &chunks).unwrap(), data);
        assert_eq!(ChunkPosition::count(0), 1);
        assert_eq!(ChunkPosition::count(CHUNK_LEN), 1);
        assert_eq!(ChunkPosition::count(CHUNK_LEN + 1), 2);
        let empty = seal_all(&k, &[], &mut r);
        assert_eq!(open_all(&k, &empty).unwrap(), Vec::<u8>::new());
    }

    #[test]
    fn reordered_truncated_or_moved_chunks_fail() {
        let mut r = rng(71);
        let k = SymmetricKey::generate(&mut r);
        let data = vec![7u8; 3 * CHUNK_LEN];
        let chunks = seal_all(&k, &data, &mut r);
        let mut swapped = chunks.clone();
        swapped.swap(0, 1);
        assert_eq!(open_all(&k, &swapped).unwrap_err(), CryptoError::Decrypt);
        // Dropping the last chunk: the new last one was not sealed as last.
        assert_eq!(
            open_all(&k, &chunks[..2]).unwrap_err(),
            CryptoError::Decrypt
        );
        // Another file's chunk, or another key.
        let at = ChunkPosition {
            index: 0,
            last: false,
        };
        assert!(open_chunk(&k, b"file:2", at, &chunks[0]).is_err());
        let other = SymmetricKey::generate(&mut r);
        assert!(open_chunk(&other, b"file:1", at, &chunks[0]).is_err());
        // A chunk is not an ordinary sealed blob.
        assert!(crate::open(&k, &chunks[0], b"file:1").is_err());
    }
}
