"""Answering: the assistant that answers from knowledge/, the messages and plain text of an
answer, and the review of unanswered questions that grows the knowledge base.

Imports bot.requests (the staff directory), bot.delivery, bot.foundation, knowledge/, storage/;
never `telegram`."""
