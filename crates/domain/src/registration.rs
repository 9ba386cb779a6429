//! A complete, valid registration and the rules that span fields.

use time::{Date, OffsetDateTime, UtcOffset};

use crate::request::presence;
use crate::{
    BirthDate, Email, EmploymentStatus, FieldError, FullName, KkNumber, Language, Nik, Phone,
    RegistrationRequest, ValidationErrors, Wave,
};

/// Applicants must be at least this old on the submission date.
pub const MIN_AGE_YEARS: i32 = 18;

/// A registration whose every field, and every rule across fields, holds.
/// Build one with [`Registration::parse`].
#[derive(Clone, PartialEq, Eq)]
pub struct Registration {
    nik: Nik,
    kk_number: KkNumber,
    full_name: FullName,
    birth_date: BirthDate,
    email: Email,
    phone: Phone,
    employment_status: EmploymentStatus,
    in_education: bool,
    wave: Wave,
    language: Language,
}

/// The programme's calendar runs on Western Indonesian Time (WIB, UTC+7).
pub const PROGRAMME_UTC_OFFSET: UtcOffset = match UtcOffset::from_hms(7, 0, 0) {
    Ok(offset) => offset,
    Err(_) => UtcOffset::UTC,
};

/// The submission date of a registration received at `at`: the calendar day
/// in WIB. Every service derives `today` for [`Registration::parse`] and
/// [`crate::decide`] with this function, so that the gateway and the workers
/// agree on an applicant's age even around midnight.
pub fn submission_date(at: OffsetDateTime) -> Date {
    at.to_offset(PROGRAMME_UTC_OFFSET).date()
}

/// Wire field names in declaration order, the order errors are reported in.
pub(crate) const FIELD_ORDER: [&str; 10] = [
    "nik",
    "kk_number",
    "full_name",
    "birth_date",
    "email",
    "phone",
    "employment_status",
    "in_education",
    "wave",
    "language",
];

/// Parses an optional field, recording `required` when absent.
fn field<T>(
    errors: &mut Vec<FieldError>,
    name: &'static str,
    value: Option<&str>,
    parse: impl FnOnce(&str) -> Result<T, FieldError>,
) -> Option<T> {
    let Some(value) = value else {
        errors.push(FieldError::required(name));
        return None;
    };
    parse(value).map_err(|e| errors.push(e)).ok()
}

impl Registration {
    /// Parses every field, collecting ALL errors (not just the first), in
    /// field order. `today` is the submission date: the applicant must be at
    /// least 18 on it (rule `min_age` on `birth_date`). `default_wave` is used
    /// when the request names no wave. A NIK whose encoded birth date differs
    /// from `birth_date` is reported on `nik` with rule `birth_date_mismatch`.
    pub fn parse(
        req: &RegistrationRequest,
        today: Date,
        default_wave: Wave,
    ) -> Result<Registration, ValidationErrors> {
        Self::parse_with(req, Some(today), default_wave)
    }

    /// Every rule of [`Registration::parse`] except the age rule, which
    /// depends on the day: for a registration already accepted at intake
    /// (a recorded submission), where being under age is a verification
    /// outcome to record, not malformed input. Check it with
    /// [`Registration::is_adult_on`].
    pub fn parse_submitted(
        req: &RegistrationRequest,
        default_wave: Wave,
    ) -> Result<Registration, ValidationErrors> {
        Self::parse_with(req, None, default_wave)
    }

    /// Whether the applicant is at least 18 on `day`.
    pub fn is_adult_on(&self, day: Date) -> bool {
        self.birth_date.age_on(day) >= MIN_AGE_YEARS
    }

    fn parse_with(
        req: &RegistrationRequest,
        today: Option<Date>,
        default_wave: Wave,
    ) -> Result<Registration, ValidationErrors> {
        let mut errors = Vec::new();
        let e = &mut errors;
        let nik = field(e, "nik", req.nik.as_deref(), Nik::parse);
        let kk_number = field(e, "kk_number", req.kk_number.as_deref(), KkNumber::parse);
        let full_name = field(e, "full_name", req.full_name.as_deref(), FullName::parse);
        let birth_date = field(e, "birth_date", req.birth_date.as_deref(), BirthDate::parse);
        let email = field(e, "email", req.email.as_deref(), Email::parse);
        let phone = field(e, "phone", req.phone.as_deref(), Phone::parse);
        let employment_status = field(
            e,
            "employment_status",
            req.employment_status.as_deref(),
            EmploymentStatus::parse,
        );
        let in_education = req.in_education;
        if in_education.is_none() {
            errors.push(FieldError::required("in_education"));
        }
        let wave = match req.wave {
            None => Some(default_wave),
            Some(n) => Wave::try_from(n).map_err(|e| errors.push(e)).ok(),
        };
        let language = match req.language.as_deref() {
            None => Some(Language::default()),
            Some(code) => Language::parse(code).map_err(|e| errors.push(e)).ok(),
        };

        if let (Some(nik), Some(birth_date)) = (&nik, &birth_date)
            && !nik.matches_birth_date(birth_date.date())
        {
            errors.push(FieldError::new(
                "nik",
                "birth_date_mismatch",
                "the birth date encoded in nik (digits 7 to 12) does not match birth_date",
                "Tanggal lahir di dalam NIK (digit ke-7 sampai ke-12) tidak sama dengan \
                 tanggal lahir yang diisi",
            ));
        }
        if let (Some(birth_date), Some(today)) = (&birth_date, today)
            && birth_date.age_on(today) < MIN_AGE_YEARS
        {
            errors.push(FieldError::new(
                "birth_date",
                "min_age",
                format!("applicants must be at least {MIN_AGE_YEARS} years old"),
                format!("Pendaftar harus berusia paling sedikit {MIN_AGE_YEARS} tahun"),
            ));
        }
        // Report in field order; the sort is stable, so per-field order holds.
        errors.sort_by_key(|e| FIELD_ORDER.iter().position(|f| *f == e.field));

        match (
            nik,
            kk_number,
            full_name,
            birth_date,
            email,
            phone,
            employment_status,
            in_education,
            wave,
            language,
        ) {
            (
                Some(nik),
                Some(kk_number),
                Some(full_name),
                Some(birth_date),
                Some(email),
                Some(phone),
                Some(employment_status),
                Some(in_education),
                Some(wave),
                Some(language),
            ) if errors.is_empty() => Ok(Registration {
                nik,
                kk_number,
                full_name,
                birth_date,
                email,
                phone,
                employment_status,
                in_education,
                wave,
                language,
            }),
            _ => Err(ValidationErrors::from_vec(errors).unwrap_or_else(|| {
                // Unreachable: a missing value always pushed an error.
                FieldError::new(
                    "registration",
                    "invalid",
                    "registration is invalid",
                    "Pendaftaran tidak valid",
                )
                .into()
            })),
        }
    }

    /// The normalised wire form (NFC name, lower-cased email domain, E.164
    /// phone, trimmed digits), with the wave filled in and the language
    /// only when it is not the default. Parsing it again on the same day
    /// gives back an equal registration.
    pub fn to_request(&self) -> RegistrationRequest {
        RegistrationRequest {
            nik: Some(self.nik.as_str().to_owned()),
            kk_number: Some(self.kk_number.as_str().to_owned()),
            full_name: Some(self.full_name.as_str().to_owned()),
            birth_date: Some(self.birth_date.to_iso_string()),
            email: Some(self.email.as_str().to_owned()),
            phone: Some(self.phone.as_str().to_owned()),
            employment_status: Some(self.employment_status.as_str().to_owned()),
            in_education: Some(self.in_education),
            wave: Some(i64::from(self.wave)),
            language: (self.language != Language::default())
                .then(|| self.language.as_str().to_owned()),
        }
    }

    pub fn nik(&self) -> &Nik {
        &self.nik
    }

    pub fn kk_number(&self) -> &KkNumber {
        &self.kk_number
    }

    pub fn full_name(&self) -> &FullName {
        &self.full_name
    }

    pub fn birth_date(&self) -> BirthDate {
        self.birth_date
    }

    pub fn email(&self) -> &Email {
        &self.email
    }

    pub fn phone(&self) -> &Phone {
        &self.phone
    }

    pub fn employment_status(&self) -> EmploymentStatus {
        self.employment_status
    }

    /// The applicant's own statement that they are in formal education.
    pub fn in_education(&self) -> bool {
        self.in_education
    }

    pub fn wave(&self) -> Wave {
        self.wave
    }

    /// The language the applicant is written to in. Not part of what the
    /// submission states about the applicant (`SubmissionHash`): choosing
    /// another language is not another submission.
    pub fn language(&self) -> Language {
        self.language
    }
}

impl std::fmt::Debug for Registration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let hidden = Some(());
        f.debug_struct("Registration")
            .field("nik", &presence(&hidden))
            .field("kk_number", &presence(&hidden))
            .field("full_name", &presence(&hidden))
            .field("birth_date", &presence(&hidden))
            .field("email", &presence(&hidden))
            .field("phone", &presence(&hidden))
            .field("employment_status", &self.employment_status)
            .field("in_education", &self.in_education)
            .field("wave", &self.wave)
            .field("language", &self.language)
            .finish()
    }
}

#[cfg(test)]
#[path = "registration_tests.rs"]
mod tests;
