//! Masking of personal fields for the support desk: enough for an agent to
//! tell the caller's record from another (`Bu*** S***`, `a***@example.com`,
//! `********1234`), never enough to learn them.

use lonjak_ops::support_wire::PersonalBody;
use lonjak_store::SupportPersonal;

/// The first word keeps two characters, the others one.
pub fn name(full: &str) -> String {
    full.split_whitespace()
        .enumerate()
        .map(|(i, word)| {
            let keep = if i == 0 && word.chars().count() > 2 {
                2
            } else {
                1
            };
            format!("{}***", word.chars().take(keep).collect::<String>())
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The first character of the mailbox, and the domain.
pub fn email(address: &str) -> String {
    match address.split_once('@') {
        Some((local, domain)) => {
            format!("{}***@{domain}", local.chars().take(1).collect::<String>())
        }
        None => "***".to_owned(),
    }
}

/// Every character but the last four (phone, NIK, KK number).
pub fn tail4(value: &str) -> String {
    let chars: Vec<char> = value.chars().collect();
    let keep = chars.len().min(4);
    let hidden = chars.len() - keep;
    let mut out = "*".repeat(hidden.max(4));
    out.extend(&chars[hidden..]);
    out
}

/// A birth date says nothing masked.
pub const BIRTH_DATE: &str = "****-**-**";

/// The fields as the desk shows them: masked, or in clear for an operator
/// who asked.
pub fn personal(p: &SupportPersonal, masked: bool) -> PersonalBody {
    if masked {
        PersonalBody {
            full_name: name(&p.full_name),
            email: email(&p.email),
            phone: tail4(&p.phone),
            birth_date: BIRTH_DATE.to_owned(),
            nik: tail4(&p.nik),
            kk_number: tail4(&p.kk_number),
        }
    } else {
        PersonalBody {
            full_name: p.full_name.clone(),
            email: p.email.clone(),
            phone: p.phone.clone(),
            birth_date: format!(
                "{:04}-{:02}-{:02}",
                p.birth_date.year(),
                u8::from(p.birth_date.month()),
                p.birth_date.day()
            ),
            nik: p.nik.clone(),
            kk_number: p.kk_number.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_keep_a_hint_and_hide_the_rest() {
        assert_eq!(name("Budi Santoso"), "Bu*** S***");
        assert_eq!(name("  Siti  Nur Aisyah "), "Si*** N*** A***");
        assert_eq!(name("Al"), "A***");
        assert_eq!(name("Ésa Ñandú"), "És*** Ñ***");
        assert_eq!(email("ani.w@example.com"), "a***@example.com");
        assert_eq!(email("broken"), "***");
        assert_eq!(tail4("3171014501900001"), "************0001");
        assert_eq!(tail4("+6281234561234"), "**********1234");
        assert_eq!(tail4("12"), "****12");
    }
}
