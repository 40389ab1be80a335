"""The plan (kế hoạch) as data: the model, its deadlines and quotas, and its wording."""
