//! Integration tests of the worker runtime against the real RabbitMQ and
//! PostgreSQL: a scripted handler on a random queue prefix and a fresh
//! database per test.

mod batches;
mod failures;
mod helpers;
mod relay;
