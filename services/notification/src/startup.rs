use std::path::Path;
use std::sync::Arc;

use actix_web::web;
use utoipa::OpenApi;
use xinfang_contracts::Producer;
use xinfang_messaging::{BatchWriter, ConsumerHooks};
use xinfang_platform::Service;

use crate::api::{self, state::AppState};
use crate::archive::api::{ArchiveApi, ArchiveState};
use crate::archive::domain::RetentionPolicy;
use crate::archive::source::ArchiveSource;
use crate::archive::workers::Archiver;
use crate::channels::contacts::{ContactSource, IntakeContacts};
use crate::channels::{email::Mailer, sms::SmsGateway};
use crate::configuration::Settings;
use crate::domain::names::OrganNames;
use crate::events::{NoticeBatchWriter, NotificationEvents};
use crate::pdf::FontBook;
use crate::workers::dispatcher::Dispatcher;

/// What a test or the benchmark may put in place of the defaults.
#[derive(Default)]
pub struct Options {
    pub hooks: ConsumerHooks,
    /// Contact details and query-code checks (default: intake's internal endpoints).
    pub contacts: Option<Arc<dyn ContactSource>>,
    /// Organ names (default: the service's units directory copy, `xinfang_platform::directory`).
    pub names: Option<Arc<dyn OrganNames>>,
    /// What the archive asks intake (default: intake's internal endpoints).
    pub archive_source: Option<Arc<dyn ArchiveSource>>,
}

/// What the consumer writes at the end of each batch of events, after the audit rows: the notices
/// its events drafted.
pub fn batch_writers(names: Arc<dyn OrganNames>) -> Vec<Arc<dyn BatchWriter>> {
    vec![Arc::new(NoticeBatchWriter { names })]
}

/// The notification service: its HTTP API, event consumer, outbox relay and dispatcher.
pub async fn build(settings: Settings) -> anyhow::Result<Service> {
    build_with(settings, Options::default()).await
}

/// As [`build`], with fault-injection hooks on the consumer (tests).
pub async fn build_with_hooks(settings: Settings, hooks: ConsumerHooks) -> anyhow::Result<Service> {
    build_with(
        settings,
        Options {
            hooks,
            ..Options::default()
        },
    )
    .await
}

/// As [`build`], with `options`.
pub async fn build_with(settings: Settings, options: Options) -> anyhow::Result<Service> {
    let n = settings.notification.clone();
    let fonts = FontBook::load(Path::new(&n.documents.font_path), n.documents.font_index)
        .map_err(|e| anyhow::anyhow!("{e} ({})", n.documents.font_path))?;
    let contacts: Arc<dyn ContactSource> = match options.contacts {
        Some(c) => c,
        None => Arc::new(IntakeContacts::new(n.contacts.clone())?),
    };
    let archive_source: Arc<dyn ArchiveSource> = match options.archive_source {
        Some(s) => s,
        None => Arc::new(IntakeContacts::new(n.contacts.clone())?),
    };
    let policy = RetentionPolicy::new(&n.archive).map_err(|e| anyhow::anyhow!(e))?;
    let archive_state = web::Data::new(ArchiveState {
        source: archive_source.clone(),
        policy: policy.clone(),
    });
    let archive_settings = n.archive.clone();
    let archive_fonts = fonts.clone();
    let mut builder = Service::builder(Producer::Notification, settings.platform, &crate::MIGRATOR);
    let names: Arc<dyn OrganNames> = match options.names {
        Some(n) => n,
        None => Arc::new(builder.directory()),
    };
    let sms = n
        .sms
        .clone()
        .map(SmsGateway::new)
        .transpose()?
        .map(Arc::new);
    let mailer = n
        .smtp
        .as_ref()
        .map(Mailer::new)
        .transpose()
        .map_err(|e| anyhow::anyhow!(e))?
        .map(Arc::new);
    let dir = xinfang_calendar::calendar_dir(&n.calendar_dir);
    let calendar = Arc::new(xinfang_calendar::load_calendars(&dir)?);
    let state = web::Data::new(AppState {
        fonts: fonts.clone(),
        contacts: contacts.clone(),
        names: names.clone(),
        calendar,
        self_service: n.self_service.clone(),
    });
    let delivery = n.delivery.clone();
    let verification = web::Data::new(api::verification::VerificationSms(sms.clone()));
    for writer in batch_writers(names.clone()) {
        builder = builder.batch_writer(writer);
    }
    builder
        .consumer(Arc::new(NotificationEvents { names }), options.hooks)
        .openapi(
            api::ApiDoc::openapi()
                .merge_from(ArchiveApi::openapi())
                .merge_from(api::verification::VerificationApi::openapi()),
        )
        .app_data(state)
        .app_data(archive_state)
        .app_data(verification)
        .routes(api::verification::configure)
        .routes(api::configure)
        .worker("dispatcher", move |ctx| {
            let dispatcher = Dispatcher {
                pool: ctx.pool.clone(),
                waker: ctx.waker.clone(),
                sms,
                mailer,
                contacts,
                fonts: Some(fonts),
                settings: delivery,
            };
            dispatcher.run(ctx)
        })
        .worker("archiver", move |ctx| {
            let archiver = Archiver {
                pool: ctx.pool.clone(),
                waker: ctx.waker.clone(),
                source: archive_source,
                fonts: archive_fonts,
                policy,
                settings: archive_settings,
            };
            archiver.run(ctx)
        })
        .build()
        .await
}
