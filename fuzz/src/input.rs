//! A byte reader that turns fuzzer input into choices; it never fails (exhausted input reads as
//! zeros), so every input is a valid program.

/// Reads choices from the front of the input.
#[derive(Debug, Clone)]
pub struct Input<'a> {
    data: &'a [u8],
}

impl<'a> Input<'a> {
    /// Reader over `data`.
    pub fn new(data: &'a [u8]) -> Self {
        Input { data }
    }

    /// True once every byte was consumed.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// What is left.
    pub fn rest(&self) -> &'a [u8] {
        self.data
    }

    /// Next byte, or 0.
    pub fn byte(&mut self) -> u8 {
        match self.data.split_first() {
            Some((&b, rest)) => {
                self.data = rest;
                b
            }
            None => 0,
        }
    }

    /// Next two bytes, little-endian.
    pub fn u16(&mut self) -> u16 {
        u16::from_le_bytes([self.byte(), self.byte()])
    }

    /// Next eight bytes, little-endian.
    pub fn u64(&mut self) -> u64 {
        let mut b = [0u8; 8];
        for x in &mut b {
            *x = self.byte();
        }
        u64::from_le_bytes(b)
    }

    /// A number biased towards small values and the top of the range: a tag byte below 0xF0 is the
    /// value itself, 0xF0..=0xF7 is `u64::MAX - (tag - 0xF0)`, 0xF8..=0xFF is followed by 8 raw bytes.
    pub fn num(&mut self) -> u64 {
        match self.byte() {
            t @ 0..=0xEF => u64::from(t),
            t @ 0xF0..=0xF7 => u64::MAX - u64::from(t - 0xF0),
            _ => self.u64(),
        }
    }

    /// Up to `n` bytes (fewer if the input runs out).
    pub fn bytes(&mut self, n: usize) -> &'a [u8] {
        let (head, rest) = self.data.split_at(n.min(self.data.len()));
        self.data = rest;
        head
    }
}

/// Writes choices in the format [`Input`] reads (used to build seed inputs).
#[derive(Debug, Clone, Default)]
pub struct Script {
    /// The bytes so far.
    pub bytes: Vec<u8>,
}

impl Script {
    /// Appends one byte.
    pub fn byte(&mut self, b: u8) -> &mut Self {
        self.bytes.push(b);
        self
    }

    /// Appends a little-endian u16.
    pub fn u16(&mut self, v: u16) -> &mut Self {
        self.bytes.extend_from_slice(&v.to_le_bytes());
        self
    }

    /// Appends a number in [`Input::num`]'s encoding.
    pub fn num(&mut self, v: u64) -> &mut Self {
        if v < 0xF0 {
            self.bytes.push(v as u8);
        } else if u64::MAX - v < 8 {
            self.bytes.push(0xF0 + (u64::MAX - v) as u8);
        } else {
            self.bytes.push(0xF8);
            self.bytes.extend_from_slice(&v.to_le_bytes());
        }
        self
    }

    /// Appends raw bytes.
    pub fn raw(&mut self, b: &[u8]) -> &mut Self {
        self.bytes.extend_from_slice(b);
        self
    }
}
