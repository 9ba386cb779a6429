//! Writes the sample photos the upload load test sends
//! (`loadtest/bench-photos.sh`): real JPEG and PNG files at the sizes a
//! phone's photo is usually shrunk to, and one truncated JPEG that the check
//! must reject.
//!
//!   cargo run --release -p lonjak-photo-check --example photo_samples -- DIR

#[path = "../tests/api/images.rs"]
mod images;

fn main() -> std::io::Result<()> {
    let dir = std::env::args().nth(1).unwrap_or_else(|| ".".to_owned());
    std::fs::create_dir_all(&dir)?;
    let write = |name: &str, bytes: &[u8]| std::fs::write(format!("{dir}/{name}"), bytes);
    write("ktp-1.jpg", &images::jpeg(640, 400))?;
    write("ktp-2.jpg", &images::jpeg(800, 500))?;
    write("selfie-1.jpg", &images::jpeg(480, 640))?;
    write("selfie-2.png", &images::png(300, 400))?;
    let mut cut = images::jpeg(640, 400);
    cut.truncate(cut.len() / 2);
    write("truncated.jpg", &cut)?;
    Ok(())
}
