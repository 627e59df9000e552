"""Reports: Form 1(h)/1(i), Article 4 progress and their exporters."""
