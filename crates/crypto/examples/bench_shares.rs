//! What the identity vault adds to the server's CPU time (docs/benchmarks.md):
//!
//! - per named report at submission: splitting the identity key k of n and wrapping each share
//!   to a custodian's X25519 key;
//! - per approval: opening the custodian's share and re-wrapping it to the requester;
//! - per reading: opening k shares, combining them and opening the identity.
//!
//! `cargo run --release -p minhbach-crypto --example bench_shares [iterations]`
//!
//! Single-threaded; prints the mean time per operation in microseconds as a Markdown table.

use std::time::Instant;

use minhbach_crypto::{
    combine_key, open, seal, split_key, unwrap_share_with_secret, wrap_share_to_public, SecretKey,
    SymmetricKey,
};
use rand::rngs::OsRng;

fn micros(iterations: u32, mut f: impl FnMut()) -> f64 {
    for _ in 0..iterations / 10 {
        f();
    }
    let start = Instant::now();
    for _ in 0..iterations {
        f();
    }
    start.elapsed().as_secs_f64() * 1e6 / f64::from(iterations)
}

fn main() -> Result<(), minhbach_crypto::CryptoError> {
    let iterations: u32 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(2000);
    let aad = b"minhbach/v1/bench";
    {
        let pk = SecretKey::generate(&mut OsRng).public_key();
        let key = SymmetricKey::generate(&mut OsRng);
        let wrap = micros(iterations, || {
            std::hint::black_box(minhbach_crypto::wrap_to_public(&pk, &key, aad, &mut OsRng));
        });
        let split = micros(iterations, || {
            std::hint::black_box(split_key(&key, 2, 3, &mut OsRng).ok());
        });
        let prepared = minhbach_crypto::PreparedPublicKey::new(&pk)?;
        let fast = micros(iterations, || {
            std::hint::black_box(minhbach_crypto::wrap_to_prepared(
                &prepared, &key, aad, &mut OsRng,
            ));
        });
        let table = micros(iterations / 10, || {
            std::hint::black_box(minhbach_crypto::PreparedPublicKey::new(&pk).ok());
        });
        println!("one X25519 wrap (as for each staff wrap today): {wrap:.1} µs; to a prepared key: {fast:.1} µs (preparing the key once: {table:.1} µs); split 2 of 3 alone: {split:.1} µs");
        println!();
    }
    println!("| k of n | submission: split + wrap n shares (µs) | the same to prepared custodian keys (µs) | approval: unwrap + re-wrap (µs) | reading: k unwraps + combine + open (µs) |");
    println!("|---|---|---|---|---|");
    for (k, n) in [(2u8, 3u8), (3, 5), (4, 7)] {
        let custodians: Vec<SecretKey> = (0..n).map(|_| SecretKey::generate(&mut OsRng)).collect();
        let requester = SecretKey::generate(&mut OsRng);
        let key = SymmetricKey::generate(&mut OsRng);
        let sealed = seal(
            &key,
            b"{\"name\":\"Nguyen Van A\",\"contact\":\"\"}",
            aad,
            &mut OsRng,
        );
        let submit = micros(iterations, || {
            let shares = split_key(&key, k, n, &mut OsRng).unwrap_or_default();
            for (c, s) in custodians.iter().zip(&shares) {
                std::hint::black_box(wrap_share_to_public(&c.public_key(), s, aad, &mut OsRng));
            }
        });
        let prepared: Vec<_> = custodians
            .iter()
            .filter_map(|c| minhbach_crypto::PreparedPublicKey::new(&c.public_key()).ok())
            .collect();
        let submit_fast = micros(iterations, || {
            let shares = split_key(&key, k, n, &mut OsRng).unwrap_or_default();
            for (c, s) in prepared.iter().zip(&shares) {
                std::hint::black_box(minhbach_crypto::wrap_share_to_prepared(
                    c, s, aad, &mut OsRng,
                ));
            }
        });
        let shares = split_key(&key, k, n, &mut OsRng)?;
        let wrapped: Vec<Vec<u8>> = custodians
            .iter()
            .zip(&shares)
            .map(|(c, s)| wrap_share_to_public(&c.public_key(), s, aad, &mut OsRng))
            .collect();
        let approve = micros(iterations, || {
            if let Ok(share) = unwrap_share_with_secret(&custodians[0], &wrapped[0], aad) {
                std::hint::black_box(wrap_share_to_public(
                    &requester.public_key(),
                    &share,
                    aad,
                    &mut OsRng,
                ));
            }
        });
        let for_requester: Vec<Vec<u8>> = shares
            .iter()
            .take(usize::from(k))
            .map(|s| wrap_share_to_public(&requester.public_key(), s, aad, &mut OsRng))
            .collect();
        let read = micros(iterations, || {
            let opened: Vec<_> = for_requester
                .iter()
                .filter_map(|w| unwrap_share_with_secret(&requester, w, aad).ok())
                .collect();
            if let Ok(key) = combine_key(&opened, k) {
                std::hint::black_box(open(&key, &sealed, aad).ok());
            }
        });
        println!("| {k} of {n} | {submit:.1} | {submit_fast:.1} | {approve:.1} | {read:.1} |");
    }
    Ok(())
}
