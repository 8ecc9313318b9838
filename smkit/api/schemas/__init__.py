"""The API's request and response models: they are its OpenAPI schema."""
