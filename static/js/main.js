document.getElementById("app").textContent = "KubeVision";
