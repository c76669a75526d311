// A connector plugin in Rust, as the platform runs them: a JSON request
// ({"records": [{"name": ..., "value": ...}, ...]}) on stdin, a JSON result
// on stdout. Standard library only (it is built with a plain `rustc -O`), so
// it carries its own small JSON reader. Like examples/plugin.py it works on
// a thread and spools the request to a file under /tmp.
use std::collections::BTreeMap;
use std::io::{self, Read, Write};

// The reader keeps whole values; this plugin only looks at some of them.
#[allow(dead_code)]
enum Json {
    Null,
    Bool(bool),
    Num(f64),
    Str(String),
    Arr(Vec<Json>),
    Obj(BTreeMap<String, Json>),
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl<'a> Parser<'a> {
    fn ws(&mut self) {
        while self.i < self.s.len() && (self.s[self.i] as char).is_ascii_whitespace() {
            self.i += 1;
        }
    }
    fn eat(&mut self, c: u8) -> Result<(), String> {
        self.ws();
        if self.s.get(self.i) == Some(&c) {
            self.i += 1;
            Ok(())
        } else {
            Err(format!("expected '{}' at byte {}", c as char, self.i))
        }
    }
    fn value(&mut self) -> Result<Json, String> {
        self.ws();
        match self.s.get(self.i) {
            Some(b'{') => {
                self.i += 1;
                let mut m = BTreeMap::new();
                self.ws();
                if self.s.get(self.i) == Some(&b'}') {
                    self.i += 1;
                    return Ok(Json::Obj(m));
                }
                loop {
                    self.ws();
                    let k = self.string()?;
                    self.eat(b':')?;
                    m.insert(k, self.value()?);
                    self.ws();
                    match self.s.get(self.i) {
                        Some(b',') => self.i += 1,
                        Some(b'}') => { self.i += 1; return Ok(Json::Obj(m)); }
                        _ => return Err(format!("bad object at byte {}", self.i)),
                    }
                }
            }
            Some(b'[') => {
                self.i += 1;
                let mut v = Vec::new();
                self.ws();
                if self.s.get(self.i) == Some(&b']') {
                    self.i += 1;
                    return Ok(Json::Arr(v));
                }
                loop {
                    v.push(self.value()?);
                    self.ws();
                    match self.s.get(self.i) {
                        Some(b',') => self.i += 1,
                        Some(b']') => { self.i += 1; return Ok(Json::Arr(v)); }
                        _ => return Err(format!("bad array at byte {}", self.i)),
                    }
                }
            }
            Some(b'"') => Ok(Json::Str(self.string()?)),
            Some(b't') => self.word("true", Json::Bool(true)),
            Some(b'f') => self.word("false", Json::Bool(false)),
            Some(b'n') => self.word("null", Json::Null),
            _ => {
                let start = self.i;
                while self.i < self.s.len() && b"+-0123456789.eE".contains(&self.s[self.i]) {
                    self.i += 1;
                }
                std::str::from_utf8(&self.s[start..self.i]).ok().and_then(|t| t.parse().ok()).map(Json::Num)
                    .ok_or(format!("bad value at byte {}", start))
            }
        }
    }
    fn word(&mut self, w: &str, v: Json) -> Result<Json, String> {
        if self.s[self.i..].starts_with(w.as_bytes()) {
            self.i += w.len();
            Ok(v)
        } else {
            Err(format!("bad literal at byte {}", self.i))
        }
    }
    fn string(&mut self) -> Result<String, String> {
        self.eat(b'"')?;
        let mut out = String::new();
        while let Some(&c) = self.s.get(self.i) {
            self.i += 1;
            match c {
                b'"' => return Ok(out),
                b'\\' => {
                    let e = *self.s.get(self.i).ok_or("unterminated escape")?;
                    self.i += 1;
                    match e {
                        b'n' => out.push('\n'),
                        b't' => out.push('\t'),
                        b'r' => out.push('\r'),
                        b'u' => {
                            let hex = std::str::from_utf8(self.s.get(self.i..self.i + 4).ok_or("short \\u")?)
                                .map_err(|e| e.to_string())?;
                            let code = u32::from_str_radix(hex, 16).map_err(|e| e.to_string())?;
                            out.push(char::from_u32(code).unwrap_or('\u{fffd}'));
                            self.i += 4;
                        }
                        other => out.push(other as char),
                    }
                }
                _ => {
                    let start = self.i - 1;
                    let mut end = self.i;
                    while end < self.s.len() && self.s[end] != b'"' && self.s[end] != b'\\' {
                        end += 1;
                    }
                    out.push_str(std::str::from_utf8(&self.s[start..end]).map_err(|e| e.to_string())?);
                    self.i = end;
                }
            }
        }
        Err("unterminated string".into())
    }
}

fn summarise(request: &Json) -> (usize, f64) {
    let records = match request {
        Json::Obj(m) => match m.get("records") {
            Some(Json::Arr(v)) => v.as_slice(),
            _ => &[],
        },
        _ => &[],
    };
    let total = records.iter().map(|r| match r {
        Json::Obj(m) => match m.get("value") {
            Some(Json::Num(n)) => *n,
            _ => 0.0,
        },
        _ => 0.0,
    }).sum();
    (records.len(), total)
}

fn fail(message: &str) -> ! {
    eprintln!("rust_plugin: {}", message);
    std::process::exit(2);
}

fn main() {
    let mut raw = Vec::new();
    io::stdin().read_to_end(&mut raw).unwrap_or_else(|e| fail(&e.to_string()));
    let spool = "/tmp/request.json";
    std::fs::write(spool, &raw).unwrap_or_else(|e| fail(&format!("{}: {}", spool, e)));
    let spooled = std::fs::metadata(spool).map(|m| m.len()).unwrap_or_else(|e| fail(&e.to_string()));
    let worker = std::thread::spawn(move || {
        let text = std::fs::read(spool).unwrap_or_else(|e| fail(&e.to_string()));
        if text.iter().all(|c| c.is_ascii_whitespace()) {
            return (0, 0.0);
        }
        let mut p = Parser { s: &text, i: 0 };
        let request = p.value().unwrap_or_else(|e| fail(&e));
        summarise(&request)
    });
    let (count, total) = worker.join().unwrap_or_else(|_| fail("worker panicked"));
    let mut out = io::stdout();
    writeln!(out, "{{\"status\": \"ok\", \"summary\": {{\"count\": {}, \"total\": {}}}, \"spooled_bytes\": {}, \
              \"language\": \"rust\"}}", count, total, spooled).unwrap_or_else(|e| fail(&e.to_string()));
}
