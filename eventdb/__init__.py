"""eventdb: a temporal event database for conflict analysis, with a GraphQL API."""
