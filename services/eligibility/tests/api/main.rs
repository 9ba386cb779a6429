//! Integration tests of the eligibility worker: the real RabbitMQ (random
//! prefix) and PostgreSQL (fresh database per test).

mod helpers;
mod scoring;
