"""Programs that train, evaluate, report and benchmark worldNET: ``python -m training COMMAND``."""
