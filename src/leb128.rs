//! Unsigned LEB128: 7 bits a byte, low first, the high bit saying "more".
//! How packed lists of text (pending names, waiting links) say how long
//! each part is: a byte for anything under 128, where a fixed `u32` would
//! be four.

/// Append `n` to `out`.
pub fn push(mut n: u64, out: &mut Vec<u8>) {
    loop {
        let low = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(low);
            return;
        }
        out.push(low | 0x80);
    }
}

/// How many bytes [`push`] writes for `n`.
pub fn len(n: u64) -> usize {
    (64 - n.max(1).leading_zeros() as usize).div_ceil(7)
}

/// The number at the start of `bytes` and how many bytes it took. Reads
/// only what [`push`] wrote: a caller never hands it other bytes, so a
/// truncated number is a bug (it panics on the missing byte).
pub fn read(bytes: &[u8]) -> (u64, usize) {
    let (mut n, mut shift) = (0u64, 0);
    for (i, &b) in bytes.iter().enumerate() {
        n |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            return (n, i + 1);
        }
        shift += 7;
    }
    panic!("a LEB128 number ends before its last byte")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every width round-trips, `len` agrees with what is written, and the
    /// bytes are the format's (so a file written by one build reads back in
    /// another).
    #[test]
    fn numbers_round_trip_at_every_width() {
        let cases: [(u64, &[u8]); 6] = [
            (0, &[0x00]),
            (1, &[0x01]),
            (127, &[0x7f]),
            (128, &[0x80, 0x01]),
            (300, &[0xac, 0x02]),
            (16_384, &[0x80, 0x80, 0x01]),
        ];
        for (n, bytes) in cases {
            let mut out = Vec::new();
            push(n, &mut out);
            assert_eq!(out, bytes, "{n}");
            assert_eq!(len(n), bytes.len(), "{n}");
            assert_eq!(read(&out), (n, bytes.len()), "{n}");
        }
        for n in [u64::from(u32::MAX), u64::MAX] {
            let mut out = vec![0xff];
            push(n, &mut out);
            assert_eq!(out.len() - 1, len(n));
            // Followed by other bytes, only its own are read.
            out.push(0x05);
            assert_eq!(read(&out[1..]), (n, len(n)));
        }
    }

    #[test]
    #[should_panic(expected = "ends before its last byte")]
    fn a_truncated_number_is_a_bug() {
        read(&[0x80, 0x80]);
    }
}
