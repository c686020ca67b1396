"""Seasonal adjustment with X-13ARIMA-SEATS and a Tet (Lunar New Year) holiday effect; forecasts and
target tracking. Method page: docs/methods/seasonal.md."""
from iip.seasonal.adjust import SAResult, SeriesError, adjust, validate_series
from iip.seasonal.compare import tet_effect_test, tet_neutral
from iip.seasonal.regressors import tet_date
from iip.seasonal.target import target_path
from iip.seasonal.x13 import X13Error, find_x13, run_x13

__all__ = ["SAResult", "SeriesError", "X13Error", "adjust", "find_x13", "run_x13", "target_path", "tet_date",
           "tet_effect_test", "tet_neutral", "validate_series"]
