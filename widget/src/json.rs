//! A small JSON reader for the site config and the loader's options. serde_json (or
//! miniserde) costs 14–28 KB of WASM (../shared/TOOLCHAIN.md); the config is produced by our own
//! server, so this reads standard JSON into a tree and nothing more. Numbers keep their integer
//! part only (the config has integers alone, and float parsing would cost kilobytes).

use alloc::string::String;
use alloc::vec::Vec;

#[derive(Debug, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Num(i64),
    Str(String),
    Arr(Vec<Value>),
    Obj(Vec<(String, Value)>),
}

static NULL: Value = Value::Null;

impl Value {
    /// The member `key` of an object; `Null` when absent or not an object.
    pub fn get(&self, key: &str) -> &Value {
        match self {
            Value::Obj(m) => m.iter().find(|(k, _)| k == key).map(|(_, v)| v).unwrap_or(&NULL),
            _ => &NULL,
        }
    }
    pub fn str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }
    pub fn string(&self) -> Option<String> {
        self.str().map(String::from)
    }
    pub fn bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }
    pub fn num(&self) -> Option<i64> {
        match self {
            Value::Num(n) => Some(*n),
            _ => None,
        }
    }
    pub fn items(&self) -> &[Value] {
        match self {
            Value::Arr(a) => a,
            _ => &[],
        }
    }
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }
}

/// Parses a whole JSON text; `None` when it is not valid JSON (or nests deeper than 64).
pub fn parse(s: &str) -> Option<Value> {
    let mut p = Parser { b: s.as_bytes(), i: 0 };
    let v = p.value(0)?;
    p.ws();
    (p.i == p.b.len()).then_some(v)
}

struct Parser<'a> {
    b: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }
    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.i += 1;
        }
    }
    fn eat(&mut self, c: u8) -> bool {
        self.ws();
        let hit = self.peek() == Some(c);
        self.i += hit as usize;
        hit
    }
    fn word(&mut self, w: &[u8], v: Value) -> Option<Value> {
        let hit = self.b.get(self.i..self.i + w.len()) == Some(w);
        self.i += w.len();
        hit.then_some(v)
    }
    fn value(&mut self, depth: u8) -> Option<Value> {
        if depth > 64 {
            return None;
        }
        self.ws();
        Some(match self.peek()? {
            b'{' => {
                self.i += 1;
                let mut m = Vec::new();
                if !self.eat(b'}') {
                    loop {
                        self.ws();
                        let k = self.string()?;
                        if !self.eat(b':') {
                            return None;
                        }
                        m.push((k, self.value(depth + 1)?));
                        if self.eat(b'}') {
                            break;
                        }
                        if !self.eat(b',') {
                            return None;
                        }
                    }
                }
                Value::Obj(m)
            }
            b'[' => {
                self.i += 1;
                let mut a = Vec::new();
                if !self.eat(b']') {
                    loop {
                        a.push(self.value(depth + 1)?);
                        if self.eat(b']') {
                            break;
                        }
                        if !self.eat(b',') {
                            return None;
                        }
                    }
                }
                Value::Arr(a)
            }
            b'"' => Value::Str(self.string()?),
            b't' => return self.word(b"true", Value::Bool(true)),
            b'f' => return self.word(b"false", Value::Bool(false)),
            b'n' => return self.word(b"null", Value::Null),
            _ => Value::Num(self.number()?),
        })
    }
    fn number(&mut self) -> Option<i64> {
        let neg = self.peek() == Some(b'-');
        self.i += neg as usize;
        let start = self.i;
        let mut n: i64 = 0;
        while let Some(d @ b'0'..=b'9') = self.peek() {
            n = n.saturating_mul(10).saturating_add(i64::from(d - b'0'));
            self.i += 1;
        }
        if self.i == start {
            return None;
        }
        // Fraction and exponent are read and dropped (see the module comment).
        while matches!(self.peek(), Some(b'.' | b'e' | b'E' | b'+' | b'-' | b'0'..=b'9')) {
            self.i += 1;
        }
        Some(if neg { -n } else { n })
    }
    fn hex4(&mut self) -> Option<u32> {
        let mut n = 0;
        for _ in 0..4 {
            let d = (*self.b.get(self.i)? as char).to_digit(16)?;
            n = n * 16 + d;
            self.i += 1;
        }
        Some(n)
    }
    fn string(&mut self) -> Option<String> {
        if self.peek()? != b'"' {
            return None;
        }
        self.i += 1;
        let mut out: Vec<u8> = Vec::new();
        loop {
            let c = *self.b.get(self.i)?;
            self.i += 1;
            match c {
                b'"' => return String::from_utf8(out).ok(),
                b'\\' => {
                    let e = *self.b.get(self.i)?;
                    self.i += 1;
                    let ch = match e {
                        b'"' | b'\\' | b'/' => e as char,
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => {
                            let mut u = self.hex4()?;
                            if (0xd800..0xdc00).contains(&u) && self.b.get(self.i..self.i + 2) == Some(b"\\u") {
                                self.i += 2;
                                let lo = self.hex4()?;
                                u = 0x10000 + ((u - 0xd800) << 10) + (lo.checked_sub(0xdc00)? & 0x3ff);
                            }
                            char::from_u32(u).unwrap_or('\u{fffd}')
                        }
                        _ => return None,
                    };
                    let mut tmp = [0u8; 4];
                    out.extend_from_slice(ch.encode_utf8(&mut tmp).as_bytes());
                }
                c if c < 0x20 => return None,
                c => out.push(c),
            }
        }
    }
}

/// Appends `s` as a JSON string literal.
pub fn push_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.push_str("\\u00");
                out.push(HEX[(c as usize) >> 4] as char);
                out.push(HEX[(c as usize) & 15] as char);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Appends `["a","b"]`.
pub fn push_list(out: &mut String, items: &[String]) {
    out.push('[');
    for (i, s) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_str(out, s);
    }
    out.push(']');
}

/// A JSON object built member by member: `{"k":v,…}`.
pub struct Obj(pub String);

impl Obj {
    pub fn new() -> Obj {
        Obj(String::from("{"))
    }
    fn key(&mut self, k: &str) -> &mut String {
        if self.0.len() > 1 {
            self.0.push(',');
        }
        push_str(&mut self.0, k);
        self.0.push(':');
        &mut self.0
    }
    pub fn str(mut self, k: &str, v: &str) -> Obj {
        push_str(self.key(k), v);
        self
    }
    pub fn raw(mut self, k: &str, v: &str) -> Obj {
        self.key(k).push_str(v);
        self
    }
    pub fn list(mut self, k: &str, v: &[String]) -> Obj {
        push_list(self.key(k), v);
        self
    }
    pub fn end(mut self) -> String {
        self.0.push('}');
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    extern crate std;
    use alloc::string::ToString;
    use alloc::vec;

    #[test]
    fn reads_what_serde_json_writes() {
        let text = r#"{"a":[1,-20,true,false,null],"s":"x\"\\\/\n\u0041\u00e9\u0416\ud83d\ude00","o":{"k":{}},"e":[],"f":1.5e3}"#;
        let v = parse(text).unwrap();
        assert_eq!(v.get("a").items(), &[Value::Num(1), Value::Num(-20), Value::Bool(true), Value::Bool(false), Value::Null]);
        assert_eq!(v.get("s").str(), Some("x\"\\/\nAéЖ😀"));
        assert_eq!(v.get("o").get("k"), &Value::Obj(vec![]));
        assert_eq!(v.get("f").num(), Some(1));
        assert!(v.get("missing").is_null());
        assert_eq!(parse(" \"Қазақша\" ").unwrap().str(), Some("Қазақша"));
    }

    #[test]
    fn refuses_what_is_not_json() {
        for bad in ["", "{", "[1,]", "{\"a\" 1}", "tru", "\"\\x\"", "\"a\u{1}\"", "1 2", "{\"a\":1,}", "-"] {
            assert_eq!(parse(bad), None, "{bad}");
        }
        let deep = "[".repeat(100) + &"]".repeat(100);
        assert_eq!(parse(&deep), None);
    }

    #[test]
    fn writes_json_that_parses_back() {
        let tricky = "a\"b\\c\n\u{1}d Қ";
        let j = Obj::new().str("s", tricky).raw("n", "5").list("l", &["x".to_string(), "\"".to_string()]).end();
        let v = parse(&j).unwrap();
        assert_eq!(v.get("s").str(), Some(tricky));
        assert_eq!(v.get("n").num(), Some(5));
        assert_eq!(v.get("l").items().len(), 2);
        assert_eq!(j, r#"{"s":"a\"b\\c\n\u0001d Қ","n":5,"l":["x","\""]}"#.replace("\\n", "\\u000a"));
    }
}
