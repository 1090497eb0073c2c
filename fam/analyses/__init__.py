"""Analyses on a finished Monte Carlo (social impact bond, update, sensitivity, value of information, comparison), the analysis stage and the Results the writers read."""
