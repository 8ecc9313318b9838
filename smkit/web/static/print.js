// The shift report's print button (a script file: the pages allow no inline script).
document.getElementById("print").addEventListener("click", function () { window.print(); });
