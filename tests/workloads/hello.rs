// Small Rust workload for the seccomp profile: std::thread, std::fs under
// /tmp, std::process::Command running /bin/true.  Prints "ok" on success.
// Build at test time: rustc -O -o hello-rs hello.rs
use std::fs;
use std::io::Write;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::thread;

fn main() {
    let total = Arc::new(Mutex::new(0u64));
    let handles: Vec<_> = (0..4)
        .map(|i| {
            let total = Arc::clone(&total);
            thread::spawn(move || {
                let s: u64 = (0..1000u64).map(|x| x + i).sum();
                *total.lock().unwrap() += s;
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    assert_eq!(*total.lock().unwrap(), 4 * 499500 + 1000 * (0 + 1 + 2 + 3));

    let dir = format!("/tmp/hello-rs-{}", std::process::id());
    fs::create_dir_all(&dir).unwrap();
    let path = format!("{}/f.txt", dir);
    {
        let mut f = fs::File::create(&path).unwrap();
        writeln!(f, "hello from rust").unwrap();
        f.sync_all().unwrap();
    }
    assert_eq!(fs::read_to_string(&path).unwrap(), "hello from rust\n");
    let path2 = format!("{}/g.txt", dir);
    fs::rename(&path, &path2).unwrap();
    assert_eq!(fs::metadata(&path2).unwrap().len(), 16);
    assert_eq!(fs::read_dir(&dir).unwrap().count(), 1);
    fs::remove_dir_all(&dir).unwrap();
    assert!(fs::metadata(&dir).is_err());

    let st = Command::new("/bin/true").status().unwrap();
    assert!(st.success());
    let out = Command::new("/bin/sh").arg("-c").arg("echo hi").output().unwrap();
    assert!(out.status.success());
    assert_eq!(out.stdout, b"hi\n");

    println!("ok");
}
