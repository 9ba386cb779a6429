//! Indonesian province codes (Kemendagri), the first two digits of every NIK
//! and KK number.

/// Every province code a NIK or KK number may start with.
///
/// 38 provinces; the Papua range 91–97 admits both the numbering before the
/// 2022 split and after it, because NIKs keep the code they were issued with.
pub const PROVINCE_CODES: [u8; 39] = [
    11, 12, 13, 14, 15, 16, 17, 18, 19, // Sumatra
    21, // Riau Islands
    31, 32, 33, 34, 35, 36, // Java
    51, 52, 53, // Bali and Nusa Tenggara
    61, 62, 63, 64, 65, // Kalimantan
    71, 72, 73, 74, 75, 76, // Sulawesi
    81, 82, // Maluku
    91, 92, 93, 94, 95, 96, 97, // Papua
];

/// Whether `code` is a province code.
pub fn is_province_code(code: u8) -> bool {
    PROVINCE_CODES.binary_search(&code).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_sorted_so_binary_search_works() {
        assert!(PROVINCE_CODES.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn real_codes_are_accepted_and_gaps_are_not() {
        for code in [11, 21, 31, 36, 51, 65, 76, 82, 91, 97] {
            assert!(is_province_code(code), "{code}");
        }
        for code in [
            0, 10, 20, 22, 30, 37, 50, 54, 60, 70, 77, 80, 83, 90, 98, 99,
        ] {
            assert!(!is_province_code(code), "{code}");
        }
    }
}
