//! Background tasks: the dispatcher (送达任务) that sends SMS and e-mail deliveries.

pub mod dispatcher;
