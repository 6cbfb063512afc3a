"""Requests: enterprise needs as tickets: rules, service, views, service-level targets,
contacts, the staff directory, the audit log, intake validators and the admission of inbound
updates.

Imports bot.delivery, bot.foundation, storage/; never `telegram`."""
