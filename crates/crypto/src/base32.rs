//! Crockford base32, shared by receipts and the recovery key text.
//!
//! Only the bit packing and symbol mapping live here; grouping with dashes and
//! prefixes are the callers' business. Buffers that may hold secret material
//! are returned in `Zeroizing` containers.

use zeroize::Zeroizing;

/// Crockford's alphabet: no I, L, O, U (ambiguous or accidental obscenities).
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// Number of symbols needed for `n` bytes (last symbol zero-padded).
pub(crate) const fn encoded_len(n: usize) -> usize {
    (n * 8).div_ceil(5)
}

/// Encode bytes as upper-case Crockford symbols (ASCII), most significant bit first.
pub(crate) fn encode(bytes: &[u8]) -> Zeroizing<Vec<u8>> {
    let mut out = Zeroizing::new(Vec::with_capacity(encoded_len(bytes.len())));
    let mut acc: u16 = 0;
    let mut bits: u32 = 0;
    for &b in bytes {
        acc = (acc << 8) | u16::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(ALPHABET[usize::from((acc >> bits) & 0x1f)]);
        }
        // Keep only the unconsumed bits so `acc` never overflows.
        acc &= (1u16 << bits) - 1;
    }
    if bits > 0 {
        out.push(ALPHABET[usize::from((acc << (5 - bits)) & 0x1f)]);
    }
    out
}

/// Value of one symbol, applying Crockford's forgiving reading
/// (case-insensitive, I/L read as 1, O read as 0). `U` is not a symbol.
fn symbol_value(c: u8) -> Option<u8> {
    let c = match c.to_ascii_uppercase() {
        b'O' => b'0',
        b'I' | b'L' => b'1',
        other => other,
    };
    ALPHABET
        .iter()
        .position(|&a| a == c)
        .and_then(|p| u8::try_from(p).ok())
}

/// Decode text holding exactly `n_bytes` bytes worth of symbols.
///
/// ASCII whitespace and dashes are ignored anywhere (people copy, retype and
/// regroup these strings); any other non-symbol character, a wrong symbol
/// count, or non-zero padding bits (a non-canonical encoding) yields `None`.
pub(crate) fn decode(text: &str, n_bytes: usize) -> Option<Zeroizing<Vec<u8>>> {
    let want = encoded_len(n_bytes);
    let mut out = Zeroizing::new(Vec::with_capacity(n_bytes));
    let mut acc: u16 = 0;
    let mut bits: u32 = 0;
    let mut count = 0usize;
    for c in text.bytes() {
        if c == b'-' || c.is_ascii_whitespace() {
            continue;
        }
        let v = symbol_value(c)?;
        count += 1;
        if count > want {
            return None;
        }
        acc = (acc << 5) | u16::from(v);
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push(((acc >> bits) & 0xff) as u8);
            acc &= (1u16 << bits) - 1;
        }
    }
    if count != want || out.len() != n_bytes || acc != 0 {
        return None;
    }
    Some(out)
}

/// Join ASCII symbols into dash-separated groups of `size`.
pub(crate) fn group(symbols: &[u8], size: usize) -> String {
    let mut s = String::with_capacity(symbols.len() + symbols.len() / size.max(1));
    for (i, chunk) in symbols.chunks(size.max(1)).enumerate() {
        if i > 0 {
            s.push('-');
        }
        s.extend(chunk.iter().map(|&b| char::from(b)));
    }
    s
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn known_vectors() {
        assert_eq!(&*encode(&[]), b"");
        assert_eq!(&*encode(&[0xff]), b"ZW");
        assert_eq!(&*encode(&[0u8; 5]), b"00000000");
        assert_eq!(&*encode(&[0xff; 5]), b"ZZZZZZZZ");
        assert_eq!(&*encode(b"f"), b"CR");
        assert_eq!(&*encode(b"foobar"), b"CSQPYRK1E8");
        assert_eq!(&*decode("csqpyrkie8", 6).unwrap(), b"foobar");
    }

    #[test]
    fn rejects_bad_input() {
        assert!(decode("CU", 1).is_none());
        assert!(decode("C", 1).is_none());
        assert!(decode("CRR", 1).is_none());
        // Non-zero padding bits: "CS" would decode to 'f' with stray bits.
        assert!(decode("CS", 1).is_none());
        assert!(decode("C*", 1).is_none());
        assert!(decode("CÄ", 1).is_none());
    }

    #[test]
    fn grouping() {
        assert_eq!(group(b"ABCDEFGHJ", 4), "ABCD-EFGH-J");
        assert_eq!(group(b"", 4), "");
    }

    proptest! {
        #[test]
        fn round_trip(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            let enc = encode(&bytes);
            prop_assert_eq!(enc.len(), encoded_len(bytes.len()));
            let text = String::from_utf8(enc.to_vec()).unwrap();
            prop_assert_eq!(&*decode(&text, bytes.len()).unwrap(), &bytes[..]);
            let lower = group(&enc, 3).to_ascii_lowercase();
            prop_assert_eq!(&*decode(&lower, bytes.len()).unwrap(), &bytes[..]);
        }
    }
}
