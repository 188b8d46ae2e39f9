"""What Airflow imports from the installed package: the local launcher, later triggers and notifiers."""
