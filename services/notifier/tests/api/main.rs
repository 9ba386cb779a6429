//! The notifier against the real broker, database, local SMTP server and
//! the SMS simulator. Messages are counted where they arrive.

mod capacity;
mod channels;
mod crash;
mod events;
mod failures;
mod helpers;
mod idempotency;
mod inspect;
mod messages;
mod pages;
