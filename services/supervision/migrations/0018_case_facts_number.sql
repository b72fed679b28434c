-- Campaigns take cases by their case number (案件编号, as the receipt prints it).
CREATE INDEX IF NOT EXISTS case_facts_number ON case_facts (case_number);
