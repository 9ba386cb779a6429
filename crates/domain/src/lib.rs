#![doc = include_str!("../README.md")]

mod contact_hash;
pub mod eligibility;
mod email_token;
mod error;
pub mod events;
mod fields;
mod identity;
mod message;
#[cfg(test)]
mod messages_tests;
#[cfg(test)]
mod parser_props;
pub mod photo;
mod registration;
mod request;
mod sealed;
pub mod status;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
pub mod verification;
pub mod wave_state;

pub use contact_hash::{EmailHash, PhoneHash};
pub use email_token::{
    EmailToken, EmailVerificationKey, EmailVerificationSettings, MIN_EMAIL_KEY_BYTES, TokenError,
};
pub use error::{FieldError, ValidationErrors, label_id};
pub use fields::{
    BirthDate, Email, EmploymentStatus, FullName, KkNumber, Language, Nik, PROVINCE_CODES, Phone,
    Sex, Wave, is_province_code,
};
pub use identity::{
    IdentityKey, IdentityKeyError, IdentitySettings, KkHash, MIN_IDENTITY_KEY_BYTES, NikHash,
    RegistrationId, RegistrationIdError, SubmissionHash,
};
pub use message::Message;
pub use photo::{PhotoKey, PhotoKind, PhotoLimits, PhotoRejection, PhotoState};
pub use registration::{MIN_AGE_YEARS, PROGRAMME_UTC_OFFSET, Registration, submission_date};
pub use request::RegistrationRequest;
pub use sealed::SealedApplicant;
pub use status::{InvalidTransition, RegistrationStatus, RejectionReason, Transition};
pub use verification::{
    CheckOutcome, Decision, EducationCheck, IdentityCheck, Occupation, Registry, WelfareCheck,
    decide, decide_on_identity,
};
pub use wave_state::{InvalidWaveTransition, WaveState};
