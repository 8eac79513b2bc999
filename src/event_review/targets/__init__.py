"""Every deployable target of the one `event-review` command, registered in one place."""
