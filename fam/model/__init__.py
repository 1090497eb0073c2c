"""The model: distributions, time profiles, the projection (the model's equation, once), the per-service forms and finance."""
