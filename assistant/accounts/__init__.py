"""Users, sessions, API tokens and the audit log: who may read what, and who did what.

The users' database (``DRAGOMAN_WEB_DATABASE_URL``) is opened here; the conversation
history and the drafts declare their tables on its base, in the packages that own them.
"""
