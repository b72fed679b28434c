//! Background tasks: the registrar's writers (合并登记).

pub mod registrar;
