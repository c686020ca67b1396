"""Store drivers of the quality methods: they read the store, call the pure methods of :mod:`iip.quality`
(imputation, outliers, labour) and write the results with their audit trail. The methods never open the store."""
