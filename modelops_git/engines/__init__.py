"""CI engines: the same pipeline as GitHub Actions, Jenkins, Argo Workflows and Airflow."""
