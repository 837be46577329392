//! RTP sequence numbers (16 bits, wrapping) extended to 64 bits, so buffers
//! order packets across the wrap.

/// Extends each 16-bit sequence number relative to the last one seen.
#[derive(Debug, Default, Clone)]
pub(crate) struct SeqExtender {
    last: Option<u64>,
}

impl SeqExtender {
    /// The extended number of `seq`: the one nearest to the last seen
    /// (a packet up to 32767 behind is late, not from the next cycle).
    pub(crate) fn extend(&mut self, seq: u16) -> u64 {
        let ext = match self.last {
            None => (1 << 16) + u64::from(seq),
            Some(last) => {
                let delta = seq.wrapping_sub(last as u16) as i16;
                last.saturating_add_signed(i64::from(delta))
            }
        };
        if self.last.is_none_or(|last| ext > last) {
            self.last = Some(ext);
        }
        ext
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_keep_growing_across_the_wrap_and_late_ones_sort_before() {
        let mut x = SeqExtender::default();
        let a = x.extend(65534);
        let b = x.extend(65535);
        let c = x.extend(1);
        let late = x.extend(0);
        assert!(a < b && b < late && late < c, "{a} {b} {late} {c}");
        assert_eq!(c - a, 3);
    }
}
