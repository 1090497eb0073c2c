"""Inputs: the scenario schema, cohort and unit-cost readers, importers, the workbook read-back and loading into ModelInputs (the only stage that reads files)."""
