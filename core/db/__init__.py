"""Database layer: models, engine and embedded server management, migrations, tenancy."""
