//! Integration tests against the real PostgreSQL and RabbitMQ: the audit's
//! queries on a freshly migrated database, and the sampler's queue probe.

mod broker;
mod database;
