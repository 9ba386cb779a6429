//! Graceful rollout: on SIGTERM the gateway first reports itself not ready
//! and keeps serving for `http.drain_delay_ms`, so load balancers move new
//! requests elsewhere before it stops accepting; then it drains.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::ConnectionType;
use actix_web::middleware::Next;
use actix_web::{Error, web};

/// Whether the gateway is draining; shared by readiness and the middleware.
#[derive(Clone, Default)]
pub struct Drain(Arc<AtomicBool>);

impl Drain {
    pub fn start(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    pub fn is_draining(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

/// While draining, every answer closes its connection: keep-alive clients
/// reconnect (to another replica) instead of sending their next request
/// down a connection that is about to be closed under them.
pub async fn close_while_draining(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let drain = req.app_data::<web::Data<Drain>>().cloned();
    let mut res = next.call(req).await?;
    if drain.is_some_and(|d| d.is_draining()) {
        res.response_mut()
            .head_mut()
            .set_connection_type(ConnectionType::Close);
    }
    Ok(res)
}
