"""The application: the services container (`services`) built once from settings, the timed work
(`scheduler`), leadership among processes (`leadership`), actions that span capabilities
(`handoff`, `privacy`) and the staff commands: what one is (`command_types`), the commands of
each capability (`*_commands`) and the registry that joins them (`staff_commands`).

Imports every capability below it, knowledge/ and storage/; never `telegram` or a channel."""
