"""Spec + environment -> Plan, the resolved DAG every engine executes."""

from modelops_git.compile.plan import Plan, PlannedTask, compile_plan

__all__ = ["Plan", "PlannedTask", "compile_plan"]
