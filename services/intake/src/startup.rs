use std::sync::Arc;

use actix_web::web;
use utoipa::OpenApi;
use xinfang_contracts::Producer;
use xinfang_messaging::ConsumerHooks;
use xinfang_platform::{pii::PiiVault, Service};

use crate::{
    api::{self, state::IntakeState},
    configuration::{IntakeOptions, Settings},
    events::IntakeEvents,
    workers::registrar::{Registrar, RegistrarContext},
};

/// The intake service (一口受理): HTTP API, event consumer and outbox relay. The rest of the
/// `intake` configuration ([`IntakeOptions`]) is read from the layered configuration files and
/// environment.
pub async fn build(settings: Settings) -> anyhow::Result<Service> {
    build_with_hooks(settings, ConsumerHooks::default()).await
}

/// As [`build`], with fault-injection hooks on the consumer (tests).
pub async fn build_with_hooks(settings: Settings, hooks: ConsumerHooks) -> anyhow::Result<Service> {
    let options = IntakeOptions::load()?;
    build_with_options(settings, options, hooks).await
}

/// As [`build`], with the given options.
pub async fn build_with_options(
    settings: Settings,
    options: IntakeOptions,
    hooks: ConsumerHooks,
) -> anyhow::Result<Service> {
    // Refuse bad keys or calendars before touching the database.
    let vault = Arc::new(PiiVault::new(&options.pii).map_err(|e| anyhow::anyhow!("{e}"))?);
    let calendar =
        xinfang_calendar::load_calendars(&xinfang_calendar::calendar_dir(&options.calendar_dir))?
            // Objection windows in a year not yet published are counted provisionally (暂定).
            .with_provisional_years(3);
    let registration = options.registration.clone();
    let registrar = web::Data::new(Registrar::start(
        Arc::new(RegistrarContext {
            vault: vault.clone(),
            division_code: settings.intake.division_code.clone(),
        }),
        registration.writers,
        registration.batch_size,
    ));
    let online = web::Data::new(api::online::OnlineIntake {
        registering_unit: settings.platform.auth.bureau_unit.clone(),
    });
    let builder = Service::builder(Producer::Intake, settings.platform, &crate::MIGRATOR);
    let state = web::Data::new(IntakeState {
        settings: settings.intake.clone(),
        options,
        vault,
        calendar,
        directory: builder.directory(),
    });
    builder
        .consumer(Arc::new(IntakeEvents), hooks)
        .openapi(
            api::ApiDoc::openapi()
                .merge_from(api::internal::InternalApi::openapi())
                .merge_from(api::archive_record::ArchiveApi::openapi())
                .merge_from(api::online::OnlineApi::openapi()),
        )
        .app_data(state)
        .app_data(online)
        .app_data(registrar)
        .routes(api::configure)
        .build()
        .await
}
