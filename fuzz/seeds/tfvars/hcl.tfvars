v = "https://s3.us-west-2.amazonaws.com"
dr_active = true
n = 3
l = ["a", null, { k = 1.5 }]
