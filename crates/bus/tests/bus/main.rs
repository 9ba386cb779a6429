//! Integration tests against the real RabbitMQ; each test has its own
//! random name prefix and deletes what it declared.

mod consume;
mod dead_letters;
mod disruptive;
mod helpers;
mod publish;
mod settle;
mod stalled;
mod topology;
