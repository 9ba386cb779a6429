//! Photo upload: presigned PUT URLs for the identity card and the selfie,
//! and the applicant's confirmation that an upload is done. Image bytes
//! never reach the gateway: it signs URLs, HEADs one object per confirm and
//! publishes `photo.uploaded` (the key only).

mod accepted;
mod limit;
pub mod routes;
mod settings;

use lonjak_domain::PhotoLimits;
use lonjak_photos::ObjectStore;

pub use limit::{PhotoAdmission, photo_limit_middleware};
pub use settings::PhotoUploadSettings;

/// What the photo routes share; absent when no object store is configured
/// (the routes then answer 503).
pub struct Photos {
    pub objects: ObjectStore,
    pub settings: PhotoUploadSettings,
    pub limits: PhotoLimits,
}
