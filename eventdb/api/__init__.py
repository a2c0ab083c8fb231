"""The GraphQL API: Strawberry types over the query layer, served by Starlette."""
