//! Gateway API tests against the real RabbitMQ.

// Test code: a failed unwrap is a failed test with its message.
#![allow(clippy::unwrap_used)]

mod admission;
mod email_verification;
mod helpers;
mod intake;
mod language;
mod logs;
mod photos;
mod resilience;
mod rollout;
mod slow_clients;
mod status;
mod strict;
mod unconfirmed;
mod waitroom;
mod waitroom_challenge;
mod waitroom_page;
mod waitroom_shared;
mod waves;
