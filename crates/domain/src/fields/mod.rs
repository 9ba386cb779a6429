//! Newtypes for each registration field. Each has one constructor, `parse`,
//! that checks every rule of the field and returns a [`FieldError`] naming the
//! broken rule; a value that exists is valid. Values holding personal data
//! have a redacting `Debug` and no `Display`: reading them is explicit
//! (`as_str`).

mod birth_date;
mod email;
mod employment;
mod full_name;
mod kk_number;
mod language;
mod nik;
mod phone;
mod province;
mod wave;

pub use birth_date::BirthDate;
pub use email::Email;
pub use employment::EmploymentStatus;
pub use full_name::FullName;
pub use kk_number::KkNumber;
pub use language::Language;
pub use nik::{Nik, Sex};
pub use phone::Phone;
pub use province::{PROVINCE_CODES, is_province_code};
pub use wave::Wave;

use crate::{FieldError, label_id};

/// Any input longer than this many bytes is rejected before any other work,
/// so oversized input costs one comparison.
const MAX_INPUT_BYTES: usize = 1024;

/// Rejects input over `limit` bytes with a `length` error.
fn check_input_size(field: &'static str, input: &str, limit: usize) -> Result<(), FieldError> {
    if input.len() > limit {
        return Err(FieldError::new(
            field,
            "length",
            format!("{field} is far too long"),
            format!("{} terlalu panjang", label_id(field)),
        ));
    }
    Ok(())
}

/// Checks that `input` is exactly 16 ASCII digits with a real province code in
/// the first two, as NIK and KK numbers are.
fn parse_sixteen_digits(field: &'static str, input: &str) -> Result<[u8; 16], FieldError> {
    check_input_size(field, input, 64)?;
    let input = input.trim();
    if input.chars().count() != 16 {
        return Err(FieldError::new(
            field,
            "length",
            format!("{field} must be exactly 16 digits"),
            format!("{} harus 16 digit angka", label_id(field)),
        ));
    }
    let mut digits = [0u8; 16];
    for (slot, b) in digits.iter_mut().zip(input.bytes()) {
        if !b.is_ascii_digit() {
            return Err(FieldError::new(
                field,
                "digits",
                format!("{field} must contain only digits"),
                format!("{} hanya boleh berisi angka", label_id(field)),
            ));
        }
        *slot = b - b'0';
    }
    if !is_province_code(digits[0] * 10 + digits[1]) {
        return Err(FieldError::new(
            field,
            "province",
            format!("{field} must start with an Indonesian province code"),
            format!("{} harus diawali kode provinsi Indonesia", label_id(field)),
        ));
    }
    Ok(digits)
}

/// Generates a `Debug` that prints the type name and `<redacted>`.
macro_rules! redacted_debug {
    ($ty:ident) => {
        impl std::fmt::Debug for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(concat!(stringify!($ty), "(<redacted>)"))
            }
        }
    };
}
use redacted_debug;
