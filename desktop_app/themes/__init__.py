"""Theme style sheets (light.qss, dark.qss), a package so installers ship them."""
