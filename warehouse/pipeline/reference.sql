-- The reference series the findings compare figures with.
SELECT topic, metric, subgroup, year, value, status, confidence FROM reference_series
